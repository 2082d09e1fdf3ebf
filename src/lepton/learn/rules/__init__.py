"""Association rules: FP-growth over baskets, pruned to the rules worth serving."""

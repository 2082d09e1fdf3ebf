"""Entity recognition: a pretrained spaCy pipeline, served as is or fine-tuned on your spans."""

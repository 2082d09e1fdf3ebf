"""The web dashboard: server-rendered pages over the project's store, with htmx updates.

``create_ui_app`` builds it for one project; ``lepton ui`` serves it alone and
``lepton serve`` mounts the same app at ``/ui``. No JavaScript build step: Jinja2
templates, and two vendored minified libraries (htmx, uPlot) in ``static/vendor``.
"""

from lepton.ui.app import UI_PREFIX, create_standalone_app, create_ui_app, mount_on_server

__all__ = ["UI_PREFIX", "create_standalone_app", "create_ui_app", "mount_on_server"]

"""fastk's built-in plugins (importable as ``fastk_plugins``).

Each module here is one plugin family, registered through the ``fastk`` entry-point group exactly as a
third-party plugin would be (see ``[project.entry-points.fastk]`` in pyproject.toml). The core
(``fastk/``) never imports these modules by name.
"""

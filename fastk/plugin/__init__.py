"""Layer 2, the plugin machinery: the generic registry, the ``NAME:ARG`` parser and plugin options, the
plugin manager (entry points, block lists, loading), and where each plugin comes from (provenance).
Imports only :mod:`fastk.common`, :mod:`fastk.hookspecs` and the top-level leaves (errors, defaults)."""

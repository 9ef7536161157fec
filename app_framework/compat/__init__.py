"""Opt-in aliases that let installed Quart and Flask extensions run on
app_framework unmodified: ``import app_framework.compat.quart`` or
``import app_framework.compat.flask``, once, before the extensions are
imported. Nothing here is imported by app_framework itself.
"""

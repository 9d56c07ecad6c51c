"""Translations and country content, shipped as the package ``homecoming_locales``.

Nothing to import here: the folder holds gettext catalogs, distress lexicons and example
banks per language, and country packs. ``flows.i18n.DEFAULT_LOCALES_DIR`` finds it in a
checkout or in an installed wheel.
"""

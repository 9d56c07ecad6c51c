"""Localisation: gettext catalogs, dates and calendars, places, country packs and the YAML
content readers.
"""

"""Bulk import and export of contacts and leads (issue 3).

Pure library code: never imports click; openpyxl and vobject are imported only
inside the functions that read or write those formats.

- :mod:`solarcli.importing.readers`  - CSV / XLSX / JSON / NDJSON / vCard -> rows
- :mod:`solarcli.importing.mapping`  - header normalisation, synonyms, presets, --map
- :mod:`solarcli.importing.values`   - cell value parsing (numbers, interests, ...)
- :mod:`solarcli.importing.planner`  - rows -> a plan (create/update/unchanged/rejected)
- :mod:`solarcli.importing.apply`    - a plan -> one repository transaction
- :mod:`solarcli.importing.export`   - records -> CSV / XLSX / JSON / vCard
- :mod:`solarcli.importing.dupes`    - duplicate contacts and merging
"""

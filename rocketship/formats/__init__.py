"""Django format modules (``FORMAT_MODULE_PATH``): US English for every staff page, email, chart
and export (``en``), and the project's own format names in the families' languages (``es``,
``vi``)."""

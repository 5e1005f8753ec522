"""One module per sheet; each writes its sheet(s) from an ExportContext."""

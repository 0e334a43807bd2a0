"""The figures under reports/: matplotlib Figure objects drawn headless (figures), the series
models' figures (series_figures) and the adding problem's (adding_figure)."""

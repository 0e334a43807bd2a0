"""The results page, reports/README.md, as Markdown from the numbers the stages wrote: how it
writes numbers and tables (markdown), a module per section (lecture, sine, text, stock,
adding), and the generated samples as data and as lines for people (samples, which
text_generate writes and the report reads). Behind the lesson, beside charts/: the sections
take what stages/report.py loaded and return text; they read no file and import no MLflow.
"""

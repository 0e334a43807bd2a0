"""A class on one server, apart from the pipeline's library: PostgreSQL and `mlflow server`
with accounts (server: `make server`, `make accounts`, `make grant`, `make server-stop`) and
the student list as spreadsheets save it (students). No stage imports it."""

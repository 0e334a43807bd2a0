"""A class on one server, apart from the pipeline's library: `make server`, `make accounts`,
`make grant` and `make server-stop` run server (the state file and the commands), which starts
PostgreSQL (postgres: which one, its user as root, the cluster, the databases) and `mlflow
server` with accounts (mlflow_server: auth.ini, the process); output turns what they printed
into one-line errors; students reads the student list as spreadsheets save it. No stage
imports it."""

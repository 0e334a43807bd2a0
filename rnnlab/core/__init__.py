"""What every layer of the lab may use, and which imports nothing of it: one-line errors and
the wrapper every stage's main runs in (errors), a stage's command line: its item and the
files dvc.yaml's cmd names (arguments), the watch on the processes a stage runs under
(lifeline), outputs written all or nothing and inputs read with one line naming a bad file
(outputs)."""

"""The character models ("variants"): what each kind makes of the text (no TensorFlow here).

A variant is a section of params.yaml, ``text_train.<name>``, and nothing else: dvc.yaml runs
text_train, text_evaluate, text_generate and text_track for every section (``foreach:
${text_train}``), and its ``kind`` says which network it is:
  many_to_one   the character after each window (the lecture): windows split by
                ``windows.split_next_step``;
  many_to_many  the next character at every step of the window: ``windows.split_shifted``,
                and scored at every step as well (``sequence_*``).

The files of a variant are named by dvc.yaml: each text stage's ``cmd`` passes the paths it
reads and writes (rnnlab/core/arguments.py), and the code takes them as parameters.
"""
from rnnlab.data import windows

SPLITS = {"many_to_one": windows.split_next_step,   # target: the next character
          "many_to_many": windows.split_shifted}     # target: the window shifted by one
"""(inputs, targets) of a window of ``window + 1`` ids, for each kind of model."""

FORMULATIONS = {"many_to_one": "many-to-one: the next character after the window",
                "many_to_many": "many-to-many: the next character at every step"}
"""What each kind makes of the text, in a few words (its run's tag ``lab.formulation``)."""


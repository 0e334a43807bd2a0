"""The served text generator: an MLflow pyfunc model, logged "from code" (no pickle).

text_train logs this file with the trained .keras model and the vocabulary as artifacts and
the ``rnnlab`` package as code, and registers it as ``<corpus>-<variant>``; then, for the rhyme,

    python -m rnnlab.serving.serve sixpence-many-to-one 1

(rnnlab/serving/serve.py: it checks the store and the model, then runs ``mlflow models serve -m
models:/sixpence-many-to-one/1 --env-manager local``) answers POST /invocations with
{"inputs": ["Sing a son"], "params": {"length": 20}}.
Input: prompt strings. Output: each prompt followed by its continuation. Params (declared in
the signature, so they are not ignored): length, temperature (0 = greedy), top_k (0 = all), seed.
A param out of range (a NaN or negative temperature, a length of 0, a negative seed), a prompt
character outside the vocabulary, and a request beyond the bounds below (a prompt longer than
MAX_LENGTH, more than MAX_PROMPTS prompts, more than MAX_GENERATED characters to generate) are
refused with HTTP 400, the answer's message one line naming the cause (Refused).
"""
import mlflow
from mlflow.exceptions import MlflowException
from mlflow.models import set_model
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

MAX_LENGTH = 10_000
"""Characters per prompt, and characters generated per prompt (param length)."""

MAX_PROMPTS = 100
"""Prompts per request."""

MAX_GENERATED = 100_000
"""Characters generated per request, prompts x length: a bound on one request's work (each
generated character is a forward pass over the batch of prompts), which MLflow's server must
finish within its request timeout (MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT, 60 s, then HTTP
504). With the two above, the answer has at most 1,100,000 characters."""


class Refused(MlflowException):
    """A request refused with HTTP 400, its answer's message one line: the cause.

    MLflow's scoring server sets the message of an MlflowException that predict raises to
    "Failed to predict data '<the whole input>'. Error: <message>": for a prompt of 10^7
    characters, the prompt again in the answer. This message is set once, when it is raised;
    the server's assignment is dropped."""

    def __init__(self, line):
        super().__init__(line, error_code=INVALID_PARAMETER_VALUE)

    @property
    def message(self):
        return self._line

    @message.setter
    def message(self, value):
        if not hasattr(self, "_line"):  # MlflowException.__init__'s, not the server's
            self._line = value


def prompts_of(model_input):
    """Prompt strings from what pyfunc passes: a DataFrame (first column), a list or a str."""
    if hasattr(model_input, "iloc"):
        return [str(v) for v in model_input.iloc[:, 0]]
    if isinstance(model_input, str):
        return [model_input]
    return [str(v) for v in model_input]


def check_prompts(prompts, length, window):
    """LabError unless the request is within the bounds: at most MAX_PROMPTS prompts, each of
    at most MAX_LENGTH characters (the model reads only a prompt's last ``window``; the rest is
    only copied into the answer), at most MAX_GENERATED characters to generate (``length``
    each). Checked before anything that takes time or memory per character."""
    from rnnlab.core.errors import LabError

    count = len(prompts)
    if count > MAX_PROMPTS:
        raise LabError(f"{count:,} prompts in one request: at most {MAX_PROMPTS} a request")
    for i, prompt in enumerate(prompts):
        if len(prompt) > MAX_LENGTH:
            which = f"prompt {i + 1} of {count}" if count > 1 else "the prompt"
            raise LabError(f"{which} has {len(prompt):,} characters: at most {MAX_LENGTH:,} a "
                           f"prompt (the model reads only its last {window})")
    if count * length > MAX_GENERATED:
        raise LabError(f"{count} prompts x param 'length' {length:,} = {count * length:,} "
                       f"characters to generate: at most {MAX_GENERATED:,} a request (send "
                       "fewer prompts, or a shorter length)")


def check_params(p):
    """(length, temperature, top_k, seed) of the request's params ``p``; LabError naming the
    first one that is out of range (a NaN temperature would sample from NaN weights)."""
    import math
    import numbers

    from rnnlab.core.errors import LabError

    def number(name, low, high=math.inf, integer=True):
        value = p[name]
        ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
              and math.isfinite(value) and low <= value <= high
              and (not integer or value == int(value)))
        if not ok:
            kind = "an integer" if integer else "a finite number"
            within = f"from {low} to {high}" if high < math.inf else f">= {low}"
            raise LabError(f"param {name!r} must be {kind} {within}, got {value!r}")
        return int(value) if integer else float(value)

    return (number("length", 1, MAX_LENGTH), number("temperature", 0, integer=False),
            number("top_k", 0), number("seed", 0))


class TextGenerator(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from rnnlab.core.errors import LabError
        from rnnlab.data import vocab
        from rnnlab.forward import inference

        model, path = context.artifacts["model"], context.artifacts["vocab"]
        self.model = inference.load_model(model)  # NumPy, no TensorFlow
        self.vocab, meta = vocab.load(path)  # checked: one line naming the file and the key
        self.window = meta["window"]
        if self.model.output_size not in (None, len(self.vocab)):
            raise LabError(f"{path}: key 'chars' has {len(self.vocab)} characters, but the model "
                           f"{model} predicts one of {self.model.output_size}")

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        # The type hints: MLflow hands the prompts over as a list of strings
        from rnnlab.core.errors import LabError
        from rnnlab.forward import textgen

        p = {**textgen.GENERATOR_PARAMS, **(params or {})}
        try:
            prompts = prompts_of(model_input)
            length, temperature, top_k, seed = check_params(p)
            check_prompts(prompts, length, self.window)
            return textgen.generate(self.model, self.vocab, prompts, length, self.window,
                                    temperature, top_k, seed)
        except (LabError, ValueError) as err:
            raise Refused(str(err)) from None


set_model(TextGenerator())

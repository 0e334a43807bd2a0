"""The served text generator: an MLflow pyfunc model, logged "from code" (no pickle).

text_train logs this file with the trained .keras model and the vocabulary as artifacts and
the ``rnnlab`` package as code, and registers it as ``<corpus>-<variant>``; then, for the rhyme,

    mlflow models serve -m models:/sixpence-many-to-one/1 --env-manager local

answers POST /invocations with {"inputs": ["Sing a son"], "params": {"length": 20}}.
Input: prompt strings. Output: each prompt followed by its continuation. Params (declared in
the signature, so they are not ignored): length, temperature (0 = greedy), top_k (0 = all), seed.
A param out of range (a NaN or negative temperature, a length of 0, a negative seed) or a prompt
character outside the vocabulary is refused with HTTP 400 naming it.
"""
import mlflow
from mlflow.models import set_model

MAX_LENGTH = 10_000  # characters per prompt and request: a bound on one request's work


def prompts_of(model_input):
    """Prompt strings from what pyfunc passes: a DataFrame (first column), a list or a str."""
    if hasattr(model_input, "iloc"):
        return [str(v) for v in model_input.iloc[:, 0]]
    if isinstance(model_input, str):
        return [model_input]
    return [str(v) for v in model_input]


def check_params(p):
    """(length, temperature, top_k, seed) of the request's params ``p``; LabError naming the
    first one that is out of range (a NaN temperature would sample from NaN weights)."""
    import math
    import numbers

    from rnnlab.errors import LabError

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
        from rnnlab import inference, vocab
        from rnnlab.errors import LabError

        model, path = context.artifacts["model"], context.artifacts["vocab"]
        self.model = inference.load_model(model)  # NumPy, no TensorFlow
        self.vocab, meta = vocab.load(path)  # checked: one line naming the file and the key
        self.window = meta["window"]
        if self.model.output_size not in (None, len(self.vocab)):
            raise LabError(f"{path}: key 'chars' has {len(self.vocab)} characters, but the model "
                           f"{model} predicts one of {self.model.output_size}")

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        # The type hints: MLflow hands the prompts over as a list of strings
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from rnnlab import textgen
        from rnnlab.errors import LabError

        p = {**textgen.GENERATOR_PARAMS, **(params or {})}
        try:
            length, temperature, top_k, seed = check_params(p)
            return textgen.generate(self.model, self.vocab, prompts_of(model_input), length,
                                    self.window, temperature, top_k, seed)
        except (LabError, ValueError) as err:
            raise MlflowException(str(err), error_code=INVALID_PARAMETER_VALUE) from None


set_model(TextGenerator())

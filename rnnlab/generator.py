"""The served text generator: an MLflow pyfunc model, logged "from code" (no pickle).

text_train logs this file with the trained .keras model and the vocabulary as artifacts and
the ``rnnlab`` package as code, and registers it as ``<corpus>-<variant>``; then, for the rhyme,

    mlflow models serve -m models:/sixpence-many-to-one/1 --env-manager local

answers POST /invocations with {"inputs": ["Sing a son"], "params": {"length": 20}}.
Input: prompt strings. Output: each prompt followed by its continuation. Params (declared in
the signature, so they are not ignored): length, temperature (0 = greedy), top_k (0 = all), seed.
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


class TextGenerator(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from rnnlab import inference, vocab

        self.model = inference.load_model(context.artifacts["model"])  # NumPy, no TensorFlow
        self.vocab, meta = vocab.load(context.artifacts["vocab"])
        self.window = meta["window"]

    def predict(self, context, model_input: list[str], params=None) -> list[str]:
        # The type hints: MLflow hands the prompts over as a list of strings
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from rnnlab import textgen
        from rnnlab.errors import LabError

        p = {**textgen.GENERATOR_PARAMS, **(params or {})}
        try:
            if not 1 <= p["length"] <= MAX_LENGTH or p["temperature"] < 0 or p["top_k"] < 0:
                raise LabError(f"length must be from 1 to {MAX_LENGTH}, temperature >= 0 "
                               "and top_k >= 0")
            return textgen.generate(self.model, self.vocab, prompts_of(model_input),
                                    int(p["length"]), self.window, float(p["temperature"]),
                                    int(p["top_k"]), int(p["seed"]))
        except (LabError, ValueError) as err:
            raise MlflowException(str(err), error_code=INVALID_PARAMETER_VALUE) from None


set_model(TextGenerator())

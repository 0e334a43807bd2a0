"""The served forecaster: an MLflow pyfunc model, logged "from code" (no pickle).

series_train logs this file with the trained .keras model and its scaling (Transform, JSON)
as artifacts and the ``rnnlab`` package as code, and registers it as '<experiment>-forecaster';
then, for the stock prices,

    mlflow models serve -m models:/msft-forecaster/latest --env-manager local

answers POST /invocations with {"dataframe_split": {"columns": ["Close"], "data": [[..], ...]}}:
input the last `window` rows of raw values (prices, not scaled) in the columns the model was
trained on (more rows are fine: the last `window` are read); output the next value of the
target column in its own units (a price), the scaling applied inside.
"""
import mlflow
from mlflow.models import set_model
from mlflow.types.type_hints import TypeFromExample


class Forecaster(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from rnnlab import inference
        from rnnlab.series import Transform

        self.model = inference.load_model(context.artifacts["model"])  # NumPy, no TensorFlow
        self.transform, record = Transform.load(context.artifacts["transform"])
        self.window, self.columns = record["window"], record["columns"]

    def predict(self, context, model_input: TypeFromExample, params=None):
        # TypeFromExample: MLflow hands the input over as the logged input example's type
        import numpy as np
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        missing = [c for c in self.columns if c not in getattr(model_input, "columns", [])]
        if missing or len(model_input) < self.window:
            raise MlflowException(
                f"input the last {self.window} rows of the columns {self.columns}; got "
                f"{len(model_input)} rows" + (f", missing {missing}" if missing else ""),
                error_code=INVALID_PARAMETER_VALUE)
        rows = model_input[self.columns].to_numpy(dtype=np.float64)[-self.window:]
        if not np.all(np.isfinite(rows)) or (self.transform.kind == "log_return" and np.any(rows <= 0)):
            raise MlflowException("the rows must be finite numbers (positive for a log-return model)",
                                  error_code=INVALID_PARAMETER_VALUE)
        raw = rows[np.newaxis]  # one raw window
        out = self.model.predict_on_batch(self.transform.inputs(raw))[:, 0]
        return [float(v) for v in self.transform.to_units(raw, out)]


set_model(Forecaster())

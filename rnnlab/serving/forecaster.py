"""The served forecaster: an MLflow pyfunc model, logged "from code" (no pickle).

series_train logs this file with the trained .keras model and its scaling (Transform, JSON)
as artifacts and the ``rnnlab`` package as code, and registers it as '<experiment>-forecaster';
then, for the stock prices,

    mlflow models serve -m models:/msft-forecaster/latest --env-manager local

answers POST /invocations with {"dataframe_split": {"columns": ["Close"], "data": [[..], ...]}}:
input the last `window` rows of raw values (prices, not scaled) in the columns the model was
trained on (more rows are fine: the last `window` are read); output the next value of the
target column in its own units (a price), the scaling applied inside. Rows it cannot compute
are refused with HTTP 400 naming the column, the row and the range: values that are not finite,
beyond float32's range (|x| <= 3.4e38, as training), <= 0 for a log-return model, or whose
scaled inputs or forecast would not be finite in float32 (scaling.Transform.check_window).
"""
import mlflow
from mlflow.models import set_model
from mlflow.types.type_hints import TypeFromExample


class Forecaster(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        from rnnlab.core.errors import LabError
        from rnnlab.data.scaling import Transform
        from rnnlab.forward import inference

        model, path = context.artifacts["model"], context.artifacts["transform"]
        self.model = inference.load_model(model)  # NumPy, no TensorFlow
        self.transform, record = Transform.load(path)  # checked: one line naming file and key
        self.window, self.columns = record["window"], record["columns"]
        steps, features = self.model.input_steps, self.model.input_features
        if steps is not None and steps != self.transform.steps(self.window):
            raise LabError(f"{path}: key 'window' is {self.window} "
                           f"({self.transform.steps(self.window)} steps), but the model {model} "
                           f"reads {steps} steps")
        if features is not None and features != len(self.columns):
            raise LabError(f"{path}: key 'columns' names {len(self.columns)} columns, but the "
                           f"model {model} reads {features}")

    def predict(self, context, model_input: TypeFromExample, params=None):
        # TypeFromExample: MLflow hands the input over as the logged input example's type
        import numpy as np
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from rnnlab.core.errors import LabError

        missing = [c for c in self.columns if c not in getattr(model_input, "columns", [])]
        if missing or len(model_input) < self.window:
            raise MlflowException(
                f"input the last {self.window} rows of the columns {self.columns}; got "
                f"{len(model_input)} rows" + (f", missing {missing}" if missing else ""),
                error_code=INVALID_PARAMETER_VALUE)
        rows = model_input[self.columns].to_numpy(dtype=np.float64)[-self.window:]
        try:
            # What the transform and the float32 network can compute, before and after the
            # transform: 1e39 or -1e308 would otherwise overflow inside and answer a price.
            self.transform.check_window(rows, self.columns)
            raw = rows[np.newaxis]  # one raw window
            with np.errstate(all="ignore"):  # an overflow inside is refused just below
                out = self.model.predict_on_batch(self.transform.inputs(raw))[:, 0]
                values = self.transform.to_units(raw, out)
            self.transform.check_forecast(values, self.columns[0])
        except LabError as err:
            raise MlflowException(str(err), error_code=INVALID_PARAMETER_VALUE) from None
        return [float(v) for v in values]


set_model(Forecaster())

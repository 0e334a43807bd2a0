"""params.yaml's sections as pydantic 2 models: one per section (``SineData`` ...
``TextGenerate``) and ``ParamsFile`` for the whole file, typed fields with bounds, extra keys
forbidden, strict types (an integer is a valid number; a bool is not an integer, nor is the
string ``'100'``). They are the one description of params.yaml: rnnlab/params.py checks the
file against them and builds its error lines and the JSON Schema from them."""
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

VARIANT_NAME = r"^[a-z][a-z0-9_]*$"  # a model's name: series.<name>, text_train.<variant>
UINT32 = 2**32 - 1                   # seeds


# ---- the schema ----

class Section(BaseModel):
    """A section of params.yaml: exactly these keys, of exactly these types."""
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _distinct(values):
    if len(set(values)) != len(values):
        raise PydanticCustomError("not_distinct", "the names must be distinct")
    return values


Text = Annotated[str, Field(pattern=r"\S")]                  # a string that is not blank
Names = Annotated[list[Text], AfterValidator(_distinct), Field(json_schema_extra={"uniqueItems": True})]
Seed = Annotated[int, Field(ge=0, le=UINT32)]
Window = Annotated[int, Field(ge=2, le=1000)]


class SineData(Section):
    """The lecture's sampled sine wave (stage sine_data): s[n] = amplitude * sin(2 pi frequency n
    / sampling_rate) + noise."""
    amplitude: float = Field(gt=0, description="Amplitude of the sine.")
    frequency: float = Field(gt=0, description="Frequency of the sine, in Hz.")
    sampling_rate: float = Field(gt=0, description="Samples per second.")
    n_samples: int = Field(ge=3, description="The series the RNN trains on: n = 0 .. n_samples - 1 "
                                             "(20: the lecture's).")
    held_out: int = Field(ge=1, description="Samples after the training series, never trained on: "
                                            "scored one step ahead and forecast.")
    noise: float = Field(ge=0, description="Std of Gaussian noise added to every sample (0: the "
                                           "lecture's clean sine).")
    seed: Seed = Field(description="Seeds the noise.")
    window: Window = Field(description="Samples the RNN reads to predict the next one.")


class StockData(Section):
    """Daily prices from a CSV, cut in time into train | val | test (stage stock_data; the
    file is dvc.yaml's ``prices``)."""
    date: Text = Field(description="Its date column (2017-11-10, 11/10/2017, 19-Sep-03, ...).")
    target: Text = Field(description="The column predicted (Close, Adj Close, ...).")
    inputs: Names = Field(description="Extra input columns, e.g. [Open, High, Low, Volume]; [] "
                                      "for none.")
    val: float = Field(ge=0, le=0.5, description="Fraction of the rows, in time order, for the "
                                                 "val part (after train; may be 0).")
    test: float = Field(gt=0, le=0.5, description="Fraction of the rows, in time order, for the "
                                                  "test part (the last rows).")
    window: Window = Field(description="Past days the network (and the AR baseline) reads.")
    missing: Literal["error", "drop", "ffill"] = Field(
        description="Rows with an empty cell inside the series (a multi-ticker file's dates of "
                    "no trade): error (refuse, naming the first), drop (leave those rows out) or "
                    "ffill (carry each column's last value forward).")


class Training(Section):
    """The training keys every network has (each section below lists its own on top)."""
    units: int = Field(ge=1, le=4096, description="Units of the recurrent layer.")
    optimizer: Literal["sgd", "adam", "rmsprop"] = Field(description="Keras optimizer.")
    learning_rate: float = Field(gt=0, le=10, description="The optimizer's learning rate.")
    epochs: int = Field(ge=1, le=1_000_000, description="Epochs of training.")
    batch_size: int = Field(ge=1, le=1_000_000, description="Windows per batch (more than the "
                                                            "data: one batch of all of it).")
    seed: Seed = Field(description="Seeds the weights and the shuffling: same params, same numbers.")


class SeriesTraining(Training):
    """The network of stages/series_train.py, shared by the sine and the stock prices."""
    layer: Literal["simple_rnn", "lstm", "gru"] = Field(
        description="The recurrent layer: simple_rnn (the lecture's SimpleRNN), lstm or gru.")
    target: Literal["value", "price", "log_return"] = Field(
        description="What the network predicts: value (the next value as it is, the lecture), "
                    "price (min-max scaled to [0, 1] on the training part) or log_return (the "
                    "next log return, turned back into a price for every metric; positive "
                    "series only).")
    patience: int = Field(ge=0, description="Early stopping on the val part's loss: stop when it "
                                            "has not improved for this many epochs and keep the "
                                            "best weights; 0: off.")


class SeriesModel(SeriesTraining):
    """A model of a series (stages series_train@, series_evaluate@, series_track@<name>; served as
    '<experiment>-[<rest of its name>-]forecaster'): what it learns and how, by its fields."""
    data: Literal["sine", "stock"] = Field(
        description="The series it learns: sine (stage sine_data, the lecture's) or stock "
                    "(stage stock_data, dvc.yaml's prices).")
    horizon: int = Field(ge=1, description="Steps forecast from the start of the test part, "
                                           "predictions fed back (a shorter test part is "
                                           "forecast over all its values, and the stage says "
                                           "so).")


class Walkforward(Section):
    """Walk-forward evaluation of a model of `series` (stage series_walkforward@<name>)."""
    data: Literal["sine", "stock"] = Field(
        description="The model's data, as its section of `series` says (dvc.yaml reads the "
                    "stage's inputs from here).")
    folds: int = Field(ge=1, le=1000, description="Folds the end of the test part is cut into; "
                                                  "at each fold's origin the model continues "
                                                  "training on every window before it.")
    epochs: int = Field(ge=1, le=10_000, description="Epochs of that training at each origin "
                                                     "(the stage's cost: folds x epochs).")


class Strategy(Section):
    """Could one trade on a model of `series`? (stage series_strategy@<name>; not financial
    advice)"""
    cost_bps: float = Field(ge=0, le=10_000, description="Cost per trade (each change of "
                                                        "position), in basis points of the "
                                                        "equity: 5 = 0.05%.")


class TextEncode(Section):
    """The text the character models learn, as windows of character ids (stage text_encode;
    the file is dvc.yaml's ``corpus``)."""
    window: int = Field(ge=1, le=1000, description="Characters the LSTM reads.")
    val: float = Field(ge=0, le=0.9, description="Fraction held out at the end of the text, after "
                                                 "a gap of `window` characters; 0: train and score "
                                                 "on all of it (the lecture).")


class TextBaselines(Section):
    """The baselines beside the LSTMs, on the same text: unigram, n-gram, ceiling of the window."""
    ngram_order: int = Field(ge=0, description="Characters of context of the n-gram baseline "
                                               "(above text_encode.window, the window is used, "
                                               "and the stage says so).")


class TextVariant(Training):
    """A character model (stage text_train@<variant>): one section per variant, named freely."""
    layer: Literal["lstm", "gru", "simple_rnn"] = Field(
        description="The recurrent layer: lstm (the lecture's), gru or simple_rnn.")
    kind: Literal["many_to_one", "many_to_many"] = Field(
        description="What the network predicts: many_to_one: the next character after the window "
                    "(LSTM(units) + Dense(vocab, softmax), the lecture); many_to_many: the next "
                    "character at every step of the window (LSTM(units, return_sequences) + "
                    "Dense at every step).")


class TextGenerate(Section):
    """Text generated by each character model from the prompts (stage text_generate@<variant>)."""
    length: int = Field(ge=1, le=100_000, description="Characters generated after each prompt.")
    prompts: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] = Field(
        description="Prompts the models continue; every character must occur in the corpus.")
    temperatures: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=1)] = Field(
        description="Each prompt is continued at each: 0: greedy, the most likely character (the "
                    "lecture); > 0: sample from the model's probabilities, sharper below 1, "
                    "flatter above.")
    top_k: int = Field(ge=0, description="When sampling, only among the k most likely "
                                         "characters; 0: all.")
    seed: Seed = Field(description="Seeds the sampling: same params, same text.")


class AddingData(Section):
    """Example 5, the adding problem's sequences (stage adding_data@<length>, rnnlab/data/adding.py)."""
    lengths: Annotated[list[Annotated[int, Field(ge=2, le=10_000)]], AfterValidator(_distinct),
                       Field(min_length=1, json_schema_extra={"uniqueItems": True})] = Field(
        description="Sequence lengths T: a model per cell and length (the knob of the example's "
                    "cost: T = 100 is where the SimpleRNN fails).")
    train_size: int = Field(ge=1, le=1_000_000, description="Training sequences per length.")
    test_size: int = Field(ge=1, le=1_000_000, description="Test sequences per length, drawn "
                                                           "after the training ones.")
    seed: Seed = Field(description="Seeds the sequences.")


class AddingTrain(Training):
    """Example 5's networks (stage adding_train@<cell>-<length>): the same budget for every cell."""
    cells: Annotated[list[Literal["simple_rnn", "gru", "lstm"]], AfterValidator(_distinct),
                     Field(min_length=1, json_schema_extra={"uniqueItems": True})] = Field(
        description="The recurrent cells compared: simple_rnn (the lecture's SimpleRNN, tanh, "
                    "Keras' default initialisers), gru, lstm.")
    clipnorm: float = Field(ge=0, le=1e6, description="Each gradient's norm is clipped to this "
                                                       "(Keras' clipnorm); 0: no clipping.")
    stop_below: float = Field(ge=0, description="Stop once an epoch's training mse is below "
                                                "this; 0: train every epoch.")
    gradient_sequences: int = Field(ge=1, le=100_000, description="Test sequences the gradient "
                                                                  "norms are averaged over (above "
                                                                  "adding_data.test_size, all of "
                                                                  "them, and the stage says so).")


class ParamsFile(BaseModel):
    """params.yaml of RNN lab: every param of the DVC pipeline (dvc.yaml). Change one and
    `dvc repro` reruns only the stages that read it."""
    model_config = ConfigDict(extra="forbid", strict=True, title="params.yaml")
    sine_data: SineData
    stock_data: StockData
    series: dict[Annotated[str, Field(pattern=VARIANT_NAME)], SeriesModel] = Field(
        min_length=1, json_schema_extra={"additionalProperties": False},
        description="One section per model of a series (series_train@<name>, "
                    "series_evaluate@<name> and series_track@<name> in dvc.yaml), under a name "
                    "of your choice, a lower-case identifier; its `data` says which series it "
                    "learns.")
    series_walkforward: dict[Annotated[str, Field(pattern=VARIANT_NAME)], Walkforward] = Field(
        json_schema_extra={"additionalProperties": False},
        description="The models of `series` scored at several origins, each under its name "
                    "(may be empty).")
    series_strategy: dict[Annotated[str, Field(pattern=VARIANT_NAME)], Strategy] = Field(
        json_schema_extra={"additionalProperties": False},
        description="The models of `series` traded on, each under its name (may be empty).")
    text_encode: TextEncode
    text_baselines: TextBaselines
    text_train: dict[Annotated[str, Field(pattern=VARIANT_NAME)], TextVariant] = Field(
        min_length=1, json_schema_extra={"additionalProperties": False},
        description="One section per character model (text_train@<name> in dvc.yaml), under a "
                    "name of your choice, a lower-case identifier; its `kind` says which network "
                    "it is.")
    text_generate: TextGenerate
    adding_data: AddingData
    adding_train: AddingTrain


SECTIONS = tuple(ParamsFile.model_fields)

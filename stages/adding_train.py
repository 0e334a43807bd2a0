"""Stage adding_train@<cell>-<length>: one recurrent cell learns the adding problem.

The lecture's agenda goes "Simple RNN -> the problem with RNNs -> LSTM"; this stage is one
cell of that comparison. Every cell gets the same network and budget (adding_train): the
recurrent layer (simple_rnn, gru or lstm, Keras' defaults: a tanh SimpleRNN) with `units`,
then Dense(1); mse, Adam with `learning_rate` and gradients clipped to `clipnorm`; batches of
`batch_size`, at most `epochs`, stopped once the training mse is below `stop_below`.

Before and after training it measures how far back the gradient reaches: the norm of
d(loss)/d(x) at each input, by its distance from the output, averaged over the first
`gradient_sequences` test sequences (rnnlab/nets/gradients.py; TensorFlow's autodiff, here where
TensorFlow already is), or over all of them where adding_data.test_size makes fewer: the stage
says so in a line, and the run's param `gradient_sequences_used` records the count.

Outputs, at the paths dvc.yaml's cmd names: the model (--model), its training mse per epoch
(--history), the gradient norms by distance (--gradients: distance, untrained, trained) and
its MLflow run (--run: the run adding_evaluate logs into as well).
"""
import time

from rnnlab import params
from rnnlab.core.arguments import Arguments, integer
from rnnlab.core.errors import run
from rnnlab.core.outputs import all_or_nothing, write_csv
from rnnlab.data import adding
from rnnlab.tracking import notes, runs

SECTION = "adding_train"
KEYS = ("units", "optimizer", "learning_rate", "clipnorm", "epochs", "batch_size", "stop_below",
        "gradient_sequences", "seed")
"""Its params: all of adding_train but `cells`, which only names the stages."""


def arguments():
    parser = Arguments("adding_train")
    parser.choice("cell", adding.CELLS, "the recurrent layer: an item of adding_train.cells")
    parser.add_argument("length", type=integer(2), help="the sequence length: an item of "
                                                        "adding_data.lengths")
    parser.path("data", "adding_data's sequences of that length (.npz)")
    parser.path("model", "the trained model written (.keras)")
    parser.path("history", "its training mse per epoch written (CSV)")
    parser.path("gradients", "the gradient norms by distance from the output written (CSV)")
    parser.path("run", "its MLflow run written (JSON)")
    return parser.parse_args()


def main():
    args = arguments()
    m = adding.Model(args.cell, args.length)
    found = params.load(m.stage, *(f"{SECTION}.{key}" for key in KEYS))
    p = {key.split(".", 1)[1]: value for key, value in found.items()}
    (inputs, targets), (test_inputs, test_targets) = adding.load(args.data)
    used = min(p["gradient_sequences"], len(test_inputs))  # the schema keeps both >= 1
    if used < p["gradient_sequences"]:
        print(f"{m.stage}: 'adding_train.gradient_sequences' asks for {p['gradient_sequences']} "
              f"test sequences, but 'adding_data.test_size' makes {len(test_inputs)}: "
              f"averaging the gradient norms over {used}")
    probe = (test_inputs[:used], test_targets[:used])

    run_params = {**p, "gradient_sequences_used": used, "cell": m.cell, "length": m.length,
                  "train_size": len(inputs)}
    with all_or_nothing(args.model, args.history, args.gradients, args.run), \
            runs.new_run(adding.EXPERIMENT, m.name, m.stage, args.run, run_params,
                         tags={"lab.cell": m.cell, "lab.length": str(m.length)},
                         view=notes.adding_view(),
                         notes=(notes.adding_experiment(),
                                notes.pending(notes.adding_run(m.cell, m.length, p), "adding_evaluate")),
                         example="adding") as link:
        from rnnlab.nets import (  # TensorFlow: inputs and store are good
            gradients,
            models,
        )
        from rnnlab.nets.progress import EpochLog
        from rnnlab.tracking import registry

        model = models.compiled_series_model(m.name, m.length, inputs.shape[2],
                                             {**p, "layer": m.cell})
        before = gradients.input_gradient_norms(model, *probe)
        start = time.perf_counter()
        history, kept = models.fit(model, (inputs, targets), SECTION, p,
                                   callbacks=[EpochLog(m.stage, p["epochs"], runs.EpochMetrics())])
        seconds = time.perf_counter() - start
        after = gradients.input_gradient_norms(model, *probe)
        model.save(args.model)
        write_csv(args.history, {"epoch": range(1, len(history["loss"]) + 1), **history})
        write_csv(args.gradients, {"distance": range(1, m.length), "untrained": before,
                                   "trained": after})
        ratios = {"gradient_ratio_untrained": adding.gradient_ratio(before, adding.FLOOR),
                  "gradient_ratio": adding.gradient_ratio(after, adding.FLOOR)}
        runs.log_metrics({"train_seconds": seconds, **ratios})  # seconds: MLflow only, not DVC
        link.models = registry.log_keras(model, m.name, inputs=inputs[:1], step=kept)
    print(f"{m.stage}: train mse {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f} after "
          f"{len(history['loss'])} epochs ({seconds:.1f} s); gradient g(1)/g({m.length - 1}) "
          f"{ratios['gradient_ratio_untrained']:.3g} untrained, {ratios['gradient_ratio']:.3g} trained")


if __name__ == "__main__":
    run(main)

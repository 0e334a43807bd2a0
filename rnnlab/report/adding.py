"""Example 5: why the LSTM, the lecture's "problem with RNNs" measured. The adding problem's
table, cell x length of test mse beside the baseline, the gradient figure and what they say,
in the lecture's terms. A cell is told by its kind (adding_train.cells: simple_rnn, gru,
lstm)."""
from rnnlab.data import adding
from rnnlab.report.markdown import table
from rnnlab.scores import forecast


def gradient_sequences(p):
    """The test sequences the gradient norms are averaged over: adding_train.gradient_sequences,
    or the whole test set where adding_data.test_size is smaller (as stages/adding_train.py
    does), and why; ``p`` holds the params adding_data and adding_train."""
    asked, size = p["adding_train"]["gradient_sequences"], p["adding_data"]["test_size"]
    if asked <= size:
        return f"the first {asked} test sequences"
    return (f"all {size} test sequences (`adding_train.gradient_sequences` asks for {asked}, "
            "more than the test set)")


def results_table(metrics, cells, lengths, units):
    """A row per cell (test mse, its ratio to the baseline and epochs at each length; the
    gradient ratio at the longest), then the baseline's."""
    names, longest = forecast.LAYER_LABELS, max(lengths)
    rows = []
    for cell in cells:
        row = [f"{names[cell]}({units})"]
        for length in lengths:
            m = metrics[f"T{length}"][cell]
            row.append(f"{m['mse']:.4f} ({m['baseline_ratio']:.2f}x), {m['epochs']} epochs")
        m = metrics[f"T{longest}"][cell]
        row.append(f"{m['gradient_ratio_untrained']:.1e} -> {m['gradient_ratio']:.1e}")
        rows.append(row)
    rows.append(["predict the mean (baseline)"]
                + [f"{metrics[f'T{t}']['baseline']['mse']:.4f} (1/6 = {adding.BASELINE_MSE:.4f})"
                   for t in lengths] + ["–"])
    header = (["cell"] + [f"T = {t}: test mse (x baseline), epochs" for t in lengths]
              + [f"g(1)/g({longest - 1}) at T = {longest}: untrained -> trained"])
    return table(rows, header)


def findings(metrics, cells, lengths):
    """What the table says: who learned the sum at the longest length and who did not, whether
    the distance is what breaks the SimpleRNN, and the gradients that explain it."""
    names = forecast.LAYER_LABELS
    longest, shortest = max(lengths), min(lengths)

    def ratio(cell, length):
        return metrics[f"T{length}"][cell]["baseline_ratio"]

    failed = [names[c] for c in cells if ratio(c, longest) > 0.9]
    learned = [names[c] for c in cells if ratio(c, longest) < 0.1]
    said = []
    if failed or learned:
        said.append(f"At T = {longest}, " + "; ".join(filter(None, [
            f"{' and '.join(failed)} ended at the baseline ("
            + ", ".join(f"{ratio(c, longest):.2f}x" for c in cells if names[c] in failed)
            + "): it learned nothing of the first marked value" if failed else "",
            f"{' and '.join(learned)} learned the sum (mse "
            + ", ".join(f"{metrics[f'T{longest}'][c]['mse']:.4f}" for c in cells
                        if names[c] in learned) + ")" if learned else ""])) + ".")
    if shortest != longest and all(ratio(c, shortest) < 0.1 for c in cells):
        said.append(f"At T = {shortest} all {len(cells)} learn it: the task is not too hard for a "
                    "SimpleRNN, the distance is.")
    elif shortest == longest:
        said.append("Add a short length to see that the distance is what breaks the SimpleRNN: "
                    "with `dvc exp run -S 'adding_data.lengths=[10,100]'` all three learn T = 10 "
                    "([docs/why-lstm.md](../docs/why-lstm.md)).")
    if "simple_rnn" in cells:
        g = metrics[f"T{longest}"]["simple_rnn"]["gradient_ratio"]
        said.append(
            "The reason is the lecture's equation s_t = tanh(U x_t + W s_{t-1}): the gradient "
            "reaching an input k steps before the output is multiplied k times by "
            "W^T diag(1 - s_t^2), so it shrinks geometrically; after training the SimpleRNN's "
            f"gradient at the first input is {g:.0e} times weaker than at the last but one "
            "(in float32 it underflows: the dotted floor in the figure, so that ratio is a "
            "lower bound) and no update can tie the output to it.")
    gated = [c for c in ("lstm", "gru") if c in cells]
    if gated:
        said.append(
            "The LSTM's cell state adds instead (c_t = f * c_{t-1} + i * g, rnnlab/forward/inference.py: "
            "lstm_step), and its forget gate near 1 lets the gradient through: after training "
            + ", ".join(f"{names[c]}'s g(1)/g({longest - 1}) is "
                        f"{metrics[f'T{longest}'][c]['gradient_ratio']:.2f}" for c in gated)
            + ". Untrained, every cell's gradient decays with distance; the gap opens with training.")
    return " ".join(said) + "\n"


def section(metrics, p):
    """The section: ``metrics`` metrics/adding.json, ``p`` the params adding_data and
    adding_train (its sections)."""
    data, train = p["adding_data"], p["adding_train"]
    lengths, cells = data["lengths"], train["cells"]
    return ["## Example 5: why the LSTM, the lecture's \"problem with RNNs\" measured\n",
            "The adding problem: each sequence of T steps holds a random value and a marker per "
            "step, and the target is the sum of the two marked values, one in each half of the "
            "sequence. Predicting the mean (1.0) scores an mse of 1/6: that is all a network can "
            "do that cannot carry the first marked value to the output. Every cell gets the same "
            f"budget: {train['units']} units, {train['optimizer']} with learning rate "
            f"{train['learning_rate']}, gradients clipped to norm {train['clipnorm']}, batches of "
            f"{train['batch_size']}, at most {train['epochs']} epochs, stopped once the training "
            f"mse is below {train['stop_below']}; {data['train_size']} training and "
            f"{data['test_size']} test sequences per length. g(k): the mean norm of d(loss)/d(x) "
            f"at the input k steps before the output, over {gradient_sequences(p)}.\n",
            results_table(metrics, cells, lengths, train["units"]),
            findings(metrics, cells, lengths),
            "![adding problem: test mse per cell and length beside the baseline; gradient norm by "
            "distance from the output, untrained and trained](figures/adding.png)\n",
            f"MLflow: experiment `{adding.EXPERIMENT}`, a run per cell and length (tags `lab.cell`, "
            "`lab.length`); [docs/why-lstm.md](../docs/why-lstm.md) has the lesson, what was "
            "tried, and the three cells on the rhyme.\n"]

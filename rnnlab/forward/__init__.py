"""Inference without TensorFlow: the lecture's equations in NumPy, run on a saved .keras
model's weights (inference), and text generated with them (textgen). Evaluation, generation
and serving use this."""

"""The lesson's Keras networks: the SimpleRNN, LSTM and GRU models the train stages build and
fit (models), and the gradient norms that show the vanishing gradient (gradients). The only
package that imports TensorFlow."""

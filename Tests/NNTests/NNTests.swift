// Tests for the NN module.

// Tests for the OptimalTransport module.

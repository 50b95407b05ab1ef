// Tests for the MultiProxy module.

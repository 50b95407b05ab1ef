// Tests for the Training module.

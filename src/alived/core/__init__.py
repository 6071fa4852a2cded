"""The sans-IO core: protocol logic with time as an argument and actions as output."""

"""Lambda function code shipped with the constructs (each file is one function)."""

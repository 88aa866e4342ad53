"""Speed and scale of Kakehashi beside a naive LangChain pipeline: ``python -m benchmarks``."""

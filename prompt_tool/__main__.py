"""Allows `python -m prompt_tool`, the same entry point as the `prompt-tool` script."""

from prompt_tool.cli import main

if __name__ == "__main__":
    main()

"""render-sim: replay render.yaml as Render would, on a clean copy of the committed tree.

`python -m scripts.render_sim` (`make render-sim`). The steps: copy the source, read the
Blueprint, make a venv of Render's Python version, run the build command, check what it
installed, start the services the project declares, run the start command, wait for the health
check, run the project's declared probes, and stop the server with SIGTERM.
"""

# IPython kernel configuration for this project's environment, copied by `make lab` to .venv/etc/ipython/.
# Every kernel imports helpers first, so that TensorFlow's C++ start-up lines stay out of the notebooks even
# where a notebook imports keras before helpers (helpers.startup filters the known lines; others still show).
c = get_config()  # noqa: F821
c.InteractiveShellApp.exec_lines = ["import helpers"]

def run(preset, *, seed=0, out_dir=None):
    raise NotImplementedError

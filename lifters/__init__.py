"""2D→3D lifting: the Human3.6M-17 skeleton, the transformer lifters and their windowing."""

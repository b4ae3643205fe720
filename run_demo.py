"""Video → side-by-side 2D | 3D skeleton video and keypoints. See README.md or ``python run_demo.py --help``."""
import sys

if __name__ == "__main__":
    try:
        from app.output_set import signals_held

        # A Ctrl-C inside a native extension's import (numpy, OpenCV) can come out as an ImportError: it waits.
        with signals_held():
            from app.cli import main
    except KeyboardInterrupt:  # Ctrl-C while the program starts: nothing was written yet
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())

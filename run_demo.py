"""Video → side-by-side 2D | 3D skeleton video and keypoints. See README.md or ``python run_demo.py --help``."""
import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Person detection and 2D keypoints (COCO-17), plus tracking of people across frames."""

"""The face cue: head crops, the size gate, and BlazeFace on a real frame of the sample clip."""
import numpy as np
import pytest

from app.video_io import VideoReader
from conftest import SAMPLE_CLIP
from detectors.face_cue import CROP_SIZE, MIN_CROP_PX, FaceCue, head_crop_transform

# BlazePose's keypoints (pixels, COCO-17) for the man on the roof in frame 20 of the sample clip; he faces the camera.
ROOF_MAN_FRAME_20 = np.array([
    [638, 93], [641, 91], [633, 91], [644, 99], [628, 100], [674, 139], [603, 141], [727, 110], [549, 103],
    [720, 53], [539, 45], [655, 264], [617, 263], [699, 336], [569, 333], [717, 417], [544, 415]], np.float32)


def upright_person(torso_px: float, head_centre=(100.0, 50.0)) -> np.ndarray:
    keypoints = np.zeros((17, 2))
    keypoints[0:5] = head_centre
    keypoints[[5, 6]] = (head_centre[0] - 10, 80), (head_centre[0] + 10, 80)
    keypoints[[11, 12]] = (head_centre[0] - 8, 80 + torso_px), (head_centre[0] + 8, 80 + torso_px)
    return keypoints


def test_head_crop_maps_the_head_centre_to_the_crop_centre_at_0_8_torso_lengths():
    transform = head_crop_transform(upright_person(torso_px=200))
    # 0.8 · 200 px of frame → 128 px of crop.
    np.testing.assert_allclose(transform[:, :2], np.eye(2) * CROP_SIZE / 160, rtol=1e-6)
    np.testing.assert_allclose(transform @ [100, 50, 1], [CROP_SIZE / 2, CROP_SIZE / 2], atol=1e-4)


def test_heads_too_small_to_judge_give_no_crop():
    assert head_crop_transform(upright_person(torso_px=MIN_CROP_PX / 0.8 + 1)) is not None
    assert head_crop_transform(upright_person(torso_px=MIN_CROP_PX / 0.8 - 1)) is None


def test_small_people_are_not_looked_at():
    with FaceCue() as cue:
        visible = cue(np.zeros((120, 200, 3), np.uint8), np.stack([upright_person(30), upright_person(20)]))
        assert cue._detector is None  # the detector was not even started
    np.testing.assert_array_equal(visible, [False, False])
    with FaceCue() as cue:
        assert cue(np.zeros((120, 200, 3), np.uint8), np.zeros((0, 17, 2))).shape == (0,)


@pytest.fixture(scope="module")
def roof_frame() -> np.ndarray:
    for index, frame in enumerate(VideoReader(SAMPLE_CLIP)):
        if index == 20:
            return frame


@pytest.mark.parametrize("offset, expected", [
    ((0, 0), True),        # his face
    ((-300, 0), False),    # roof and wall beside him
    ((300, 0), False),
    ((0, 200), False),     # his body
])
def test_blazeface_sees_the_face_and_nothing_else(roof_frame, offset, expected):
    with FaceCue() as cue:
        visible = cue(roof_frame, (ROOF_MAN_FRAME_20 + np.float32(offset))[None])
    np.testing.assert_array_equal(visible, [expected])


def test_one_answer_per_person_in_order(roof_frame):
    people = np.stack([ROOF_MAN_FRAME_20 + np.float32([300, 0]), ROOF_MAN_FRAME_20, ROOF_MAN_FRAME_20 / 4])
    with FaceCue() as cue:
        np.testing.assert_array_equal(cue(roof_frame, people), [False, True, False])

import numpy as np

from app.render import (LEFT_COLOUR, LOW_CONFIDENCE_COLOUR, RIGHT_COLOUR, Panel3D, SideBySideRenderer, framing,
                        person_colour)

# A standing H36M-17 skeleton in pixels of a 400x300 frame (x right, y down).
STANDING_2D = np.array([
    (200, 150), (185, 150), (185, 200), (185, 250), (215, 150), (215, 200), (215, 250), (200, 120),
    (200, 95), (200, 85), (200, 70), (225, 95), (235, 125), (240, 150), (175, 95), (165, 125), (160, 150),
], np.float32)


def _render(visible=True, scores=None):
    renderer = SideBySideRenderer(400, 300)
    frame = np.zeros((300, 400, 3), np.uint8)
    scores = np.ones((1, 17), np.float32) if scores is None else scores
    pose_3d = np.zeros((1, 17, 3), np.float32)
    composite = renderer(frame, STANDING_2D[None], scores, np.array([visible]), pose_3d, np.array([0]))
    return renderer, composite


def test_composite_is_rgb_frame_beside_a_square_panel():
    renderer, composite = _render()
    assert renderer.size == (400 + 300, 300)
    assert composite.shape == (300, 700, 3) and composite.dtype == np.uint8


def test_large_frames_are_scaled_to_an_even_height():
    renderer = SideBySideRenderer(1769, 995)
    assert renderer.size == (1280 + 720, 720)
    assert renderer.size[0] % 2 == 0 and renderer.size[1] % 2 == 0


def test_left_and_right_limbs_have_their_colours():
    _, composite = _render()
    rgb = lambda bgr: tuple(reversed(bgr))  # noqa: E731 - the composite is RGB, the palette BGR
    assert tuple(composite[225, 215]) == rgb(LEFT_COLOUR)    # left shin, between knee (215,200) and ankle
    assert tuple(composite[225, 185]) == rgb(RIGHT_COLOUR)   # right shin
    assert tuple(composite[110, 200]) == rgb(person_colour(0))  # trunk


def test_low_confidence_joints_are_marked_grey_and_absent_people_not_drawn():
    scores = np.ones((1, 17), np.float32)
    scores[0, 13] = 0.1  # left wrist at (240, 150)
    _, composite = _render(scores=scores)
    ring = composite[140:161, 230:251].reshape(-1, 3)
    assert (ring == np.array(LOW_CONFIDENCE_COLOUR[::-1])).all(-1).any()
    renderer, hidden = _render(visible=False)
    assert hidden[:, :400].max() == 0  # black frame, nothing drawn
    empty_panel = renderer.panel_3d.render(np.zeros((0, 17, 3)), np.zeros(0, np.int64))
    np.testing.assert_array_equal(hidden[:, 400:], empty_panel[..., ::-1])


def test_3d_panel_scale_is_fixed_between_frames():
    panel = Panel3D(400)
    point = np.array([0.5, -0.3, 1.0])
    first, _ = panel.project(point)
    panel.render(np.random.default_rng(0).normal(size=(1, 17, 3)), np.array([0]))
    again, _ = panel.project(point)
    np.testing.assert_array_equal(first, again)
    # Equal axis scales: a 1 m segment along either horizontal axis, seen from straight above, is as long.
    top = Panel3D(400, elevation=89.9, distance=1e6)
    origin, _ = top.project(np.zeros(3))
    along_x, _ = top.project(np.array([1.0, 0, 0]))
    along_y, _ = top.project(np.array([0, 1.0, 0]))
    assert abs(np.linalg.norm(along_x - origin) - np.linalg.norm(along_y - origin)) < 1e-3


def test_side_view_sees_depth_that_the_front_view_hides():
    front, side = Panel3D(400, azimuth=0, elevation=0), Panel3D(400, azimuth=90, elevation=0)
    pose = np.zeros((2, 3))
    pose[1] = [0.0, 0.5, 0.0]  # half a metre further along the video camera's viewing direction (+y)
    front_pixels, front_depth = front.project(pose)
    side_pixels, _ = side.project(pose)
    assert abs(front_pixels[0, 0] - front_pixels[1, 0]) < 1.0 and front_depth[1] < front_depth[0]
    assert abs(side_pixels[0, 0] - side_pixels[1, 0]) > 50
    # From the video camera's side, world x is image right.
    right, _ = front.project(np.array([0.5, 0.0, 0.0]))
    assert right[0] > front_pixels[0, 0] + 50


def test_framing_holds_every_person():
    world = np.zeros((2, 3, 17, 3))
    world[0, :, :, 0] = np.linspace(-3, 3, 3)[:, None]  # walks from x = -3 to 3 m
    world[1, :, :, 1] = 2.0
    world[1, :, 10, 2] = 1.7
    valid = np.ones((2, 3), bool)
    valid[0, 2] = False  # x = 3 m is not seen: not framed
    bounds = framing(world, valid)
    np.testing.assert_allclose(bounds, [[-3.3, -0.3, 0.0], [0.3, 2.3, 2.0]], atol=0.1)  # 1 % percentiles
    panel = Panel3D(400, azimuth=0, elevation=30, bounds=bounds)
    for point in ([-3.0, 0, 0], [0.0, 2.0, 1.7], [-3.0, 2.0, 0.0]):
        pixels, _ = panel.project(np.array(point))
        assert (0 <= pixels).all() and (pixels < 400).all()


def test_3d_panel_draws_the_camera_the_legend_labels_and_grey_low_confidence_joints():
    bounds = np.array([[-2.0, -2.5, 0.0], [2.0, 2.0, 1.8]])
    plain = Panel3D(300, azimuth=0, elevation=30, bounds=bounds)
    marked = Panel3D(300, azimuth=0, elevation=30, bounds=bounds, camera_position=np.array([0.0, -2.0, 1.5]),
                     camera_forward=np.array([0.0, 0.97, -0.26]))
    apex, _ = marked.project(np.array([0.0, -2.0, 1.5]))
    x, y = np.round(apex).astype(int)
    assert (marked.render(np.zeros((0, 17, 3)), np.zeros(0, np.int64))[y - 3:y + 4, x - 3:x + 4] < 150).any()
    assert (plain.render(np.zeros((0, 17, 3)), np.zeros(0, np.int64))[y - 3:y + 4, x - 3:x + 4] > 150).all()
    legend = plain.render(np.zeros((0, 17, 3)), np.zeros(0, np.int64))[5:60, 5:40].reshape(-1, 3)
    for colour in (LEFT_COLOUR, RIGHT_COLOUR, LOW_CONFIDENCE_COLOUR):
        assert (legend == np.array(colour)).all(-1).any()
    pose = np.zeros((1, 17, 3))
    pose[0, :, 2] = np.linspace(0.1, 1.7, 17)
    pose[0, 13] = [1.0, 0.0, 1.0]  # the left wrist, out to the side
    scores = np.ones((1, 17))
    scores[0, 13] = 0.1
    image = plain.render(pose, np.array([3]), scores, label=True)
    wrist, _ = plain.project(pose[0, 13])
    x, y = np.round(wrist).astype(int)
    ring = image[y - 8:y + 9, x - 8:x + 9].reshape(-1, 3)
    assert (ring == np.array(LOW_CONFIDENCE_COLOUR)).all(-1).any()
    assert not (ring == np.array(person_colour(3))).all(-1).any()
    head, _ = plain.project(pose[0, 10] + [0, 0, 0.15])
    x, y = np.round(head).astype(int)
    assert (image[y - 12:y + 3, x - 12:x + 25] == np.array(person_colour(3))).all(-1).any()  # the "#3" label
    # A camera outside the view: an arrow at the edge towards it instead of the marker.
    far = Panel3D(300, azimuth=0, elevation=30, bounds=bounds, camera_position=np.array([0.0, -30.0, 1.5]))
    empty = far.render(np.zeros((0, 17, 3)), np.zeros(0, np.int64))
    assert (empty[250:300, 100:200] < 150).all(-1).any()  # the arrow and "camera 30.2 m" at the bottom edge


def test_grid_spacing_grows_with_the_floor_shown():
    from app.render import grid_spacing
    assert [grid_spacing(extent) for extent in (1.2, 3.0, 6.0, 12.0, 40.0)] == [0.25, 0.5, 1.0, 2.0, 10.0]


def test_raised_support_points_make_one_surface_per_height():
    from app.render import FOOTPRINT, support_patches
    roof = np.array([[0.0, 5.0, 2.0], [1.0, 5.2, 2.05], [0.5, 6.0, 1.98], [0.2, 5.5, 2.0]])
    step = np.array([[3.0, 4.0, 0.4], [3.2, 4.0, 0.42], [3.1, 4.3, 0.38], [3.0, 4.2, 0.4]])
    scattered = np.array([[6.0, 6.0, 1.0], [6.0, 6.5, 1.2], [6.5, 6.0, 1.4], [6.0, 6.0, 1.6]])  # depth errors
    patches = support_patches(np.vstack([roof, step, scattered]))
    assert len(patches) == 2
    low, high = sorted(patches, key=lambda patch: patch[0, 2])
    np.testing.assert_allclose(low[:, 2], 0.4)
    np.testing.assert_allclose(high[:, 2], 2.0)
    np.testing.assert_allclose(high[:, :2].min(0), roof[:, :2].min(0) - FOOTPRINT, atol=1e-6)
    np.testing.assert_allclose(high[:, :2].max(0), roof[:, :2].max(0) + FOOTPRINT, atol=1e-6)
    assert support_patches(np.zeros((0, 3))) == []


def test_depth_errors_of_people_on_the_floor_are_not_surfaces():
    from app.render import support_patches
    # A walker's off-floor footprints chained over 0.1-1.0 m of height in steps under LEVEL_GAP (not flat), and
    # five footprints at one height spread over a 4 × 3 m walk (about 3 m² of outline each: not dense).
    chained = np.column_stack([np.linspace(0, 8, 19), np.full(19, 5.0), np.linspace(0.1, 1.0, 19)])
    sparse = np.array([[10.0, 0.0, 0.5], [14.0, 0.0, 0.52], [10.0, 3.0, 0.5], [14.0, 3.0, 0.48], [12.0, 1.5, 0.5]])
    assert support_patches(chained) == [] and support_patches(sparse) == []
    assert len(support_patches(sparse[:, [0, 1, 2]] * [0.1, 0.1, 1.0])) == 1  # the same five in 0.4 × 0.3 m: a surface

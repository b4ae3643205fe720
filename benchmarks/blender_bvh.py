"""Import a BVH into Blender with the importer's default options, play it, and record where every bone's head is.

    blender -b --factory-startup --python benchmarks/blender_bvh.py -- FILE.bvh OUT.json

Runs inside Blender's own Python (bpy); tests/test_bvh.py compares the heads with the exported 3D. OUT.json: {"frames": [first, last], "fps": scene fps,
"bones": [names], "heads": [[[x, y, z] per bone] per frame]} in Blender's world frame (metres, z up).
"""
import builtins
import json
import sys

import bpy
from io_anim_bvh import import_bvh

bvh_path, out_path = sys.argv[sys.argv.index("--") + 1:][:2]


def _open(file, mode="r", *args, **kwargs):
    return builtins.open(file, "r" if mode == "rU" else mode, *args, **kwargs)


# Debian's Blender 3.4 importer opens the file with mode 'rU', which its Python 3.11 no longer accepts; nothing else
# of the importer is changed.
import_bvh.open = _open
bpy.ops.import_anim.bvh(filepath=bvh_path)  # defaults: forward -Z, up Y, scale 1, armature
armature = bpy.context.object
scene = bpy.context.scene
action = armature.animation_data.action
first, last = (int(round(value)) for value in action.frame_range)
names = [bone.name for bone in armature.pose.bones]
heads = []
for frame in range(first, last + 1):
    scene.frame_set(frame)
    heads.append([list(armature.matrix_world @ armature.pose.bones[name].head) for name in names])
with open(out_path, "w") as out:
    json.dump({"frames": [first, last], "fps": scene.render.fps / scene.render.fps_base, "bones": names,
               "heads": heads}, out)

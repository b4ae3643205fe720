// The parts of three.js the viewer uses, bundled by build_three.sh into three.min.js (global THREE).
export {
  AmbientLight, Color, CylinderGeometry, DirectionalLight, GridHelper, Group, Mesh, MeshLambertMaterial,
  PerspectiveCamera, Quaternion, Scene, SphereGeometry, Vector3, WebGLRenderer,
} from 'three';
export { OrbitControls } from 'three/addons/controls/OrbitControls.js';

// LiveMap: the world map (world-atlas TopoJSON, drawn offline with d3-geo) and the packets of the
// live stream flying from their source to the darknet, coloured by NICTER class.
const SVG_NS = 'http://www.w3.org/2000/svg';
export const CLASS_COLOURS = {
  syn: '#ff6b6b', synack: '#ffa94d', ack: '#ffd43b', fin: '#a9e34b', rst: '#51cf66',
  push: '#3bc9db', tcp_other: '#4dabf7', udp: '#9775fa', icmp: '#f783ac', other_ip: '#ced4da',
};
const FLIGHT_MS = 1600;

export class LiveMap {
  /** svg: the #map element; atlas: world-atlas TopoJSON; codes: [[alpha2, alpha3, numeric], ...]. */
  constructor(svg, atlas, codes, darknet) {
    this.svg = svg;
    this.projection = d3.geoNaturalEarth1().fitSize([960, 500], { type: 'Sphere' });
    const path = d3.geoPath(this.projection);
    const countries = topojson.feature(atlas, atlas.objects.countries).features;
    const g = svg.querySelector('#countries');
    this.centroids = new Map();  // numeric id -> [lon, lat]
    for (const f of countries) {
      const p = document.createElementNS(SVG_NS, 'path');
      p.setAttribute('d', path(f) || '');
      p.setAttribute('class', 'country');
      p.dataset.id = f.id;
      const t = document.createElementNS(SVG_NS, 'title');
      t.textContent = f.properties.name;
      p.appendChild(t);
      g.appendChild(p);
      if (f.id) this.centroids.set(String(f.id).padStart(3, '0'), d3.geoCentroid(f));
    }
    this.alpha2 = new Map(codes.map(c => [c[0], c[2]]));
    this.darknet = [darknet.lon, darknet.lat];
    const [dx, dy] = this.projection(this.darknet);
    const mark = document.createElementNS(SVG_NS, 'circle');
    Object.entries({ cx: dx, cy: dy, r: 6, fill: 'none', stroke: '#fff', 'stroke-width': 2 }).forEach(([k, v]) => mark.setAttribute(k, v));
    mark.innerHTML = '<title>darknet telescope</title>';
    svg.querySelector('#darknet').appendChild(mark);
    this.layer = svg.querySelector('#packets');
    this.flights = [];
    this.paused = false;
    this.speed = 1;
    this.drawn = 0;
    this.unlocated = 0;
    requestAnimationFrame(t => this.frame(t));
  }

  /** Source [lon, lat] of a packet event: its coordinates, else its country's centroid. */
  origin(ev) {
    if (typeof ev.lat === 'number' && typeof ev.lon === 'number') return [ev.lon, ev.lat];
    const numeric = ev.country && this.alpha2.get(ev.country);
    return numeric ? this.centroids.get(numeric) || null : null;
  }

  add(ev) {
    if (this.paused) return;
    const from = this.origin(ev);
    if (!from) { this.unlocated++; return; }
    const dot = document.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('r', 2.5);
    dot.setAttribute('fill', CLASS_COLOURS[ev.cls] || '#fff');
    dot.setAttribute('class', `packet ${ev.cls}`);
    this.layer.appendChild(dot);
    this.flights.push({ dot, route: d3.geoInterpolate(from, this.darknet), age: 0 });
    this.drawn++;
  }

  frame(t) {
    const dt = this.last ? Math.min(100, t - this.last) : 0;
    this.last = t;
    if (!this.paused) {
      this.flights = this.flights.filter(f => {
        f.age += dt * this.speed;
        if (f.age >= FLIGHT_MS) { f.dot.remove(); return false; }
        const [x, y] = this.projection(f.route(f.age / FLIGHT_MS)) || [-10, -10];
        f.dot.setAttribute('cx', x);
        f.dot.setAttribute('cy', y);
        return true;
      });
    }
    requestAnimationFrame(t2 => this.frame(t2));
  }
}

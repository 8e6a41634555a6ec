#!/usr/bin/env python3
"""Generates the 's01' benchmark workload: a MariaDB database shaped like QuMagie's (pictures, faces that
reference crop files, people, tags, albums), about 150 MB, deterministically from a seed.

Writes SQL (schema and multi-row INSERTs) to stdout or --out; load it with the mariadb client:

    bench/gen_s01.py --out s01.sql && mariadb -h 127.0.0.1 -u root -e 'CREATE DATABASE s01_bench' \
        && mariadb -h 127.0.0.1 -u root s01_bench < s01.sql

--scale 0.02 makes a small one (about 3 MB) for quick runs. Every face row names a crop file
(facedata/<3 hex>/face_<7 digits>.jpg), the paths the facedata workload generates, so the reference query of
issue 4 can be run against the two together.
"""
import argparse
import hashlib
import json
import random
import sys

SCHEMA = """
SET NAMES utf8mb4;
CREATE TABLE people (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
  cover_face_id INT UNSIGNED NULL,
  hidden TINYINT(1) NOT NULL DEFAULT 0,
  created DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE pictures (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  path VARCHAR(512) CHARACTER SET utf8mb4 NOT NULL,
  size BIGINT UNSIGNED NOT NULL,
  width SMALLINT UNSIGNED NOT NULL,
  height SMALLINT UNSIGNED NOT NULL,
  taken DATETIME(6) NULL,
  mime ENUM('image/jpeg','image/heic','image/png','video/mp4','video/quicktime') NOT NULL,
  camera VARCHAR(64) NULL,
  latitude DECIMAL(9,6) NULL,
  longitude DECIMAL(9,6) NULL,
  checksum BINARY(16) NOT NULL,
  exif JSON NULL,
  description TEXT CHARACTER SET utf8mb4 NULL,
  KEY taken_idx (taken),
  UNIQUE KEY path_idx (path(255))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE faces (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  picture_id INT UNSIGNED NOT NULL,
  person_id INT UNSIGNED NULL,
  crop_path VARCHAR(255) NOT NULL,
  box_x SMALLINT UNSIGNED NOT NULL, box_y SMALLINT UNSIGNED NOT NULL,
  box_w SMALLINT UNSIGNED NOT NULL, box_h SMALLINT UNSIGNED NOT NULL,
  confidence FLOAT NOT NULL,
  embedding BLOB NOT NULL,
  KEY person_idx (person_id),
  CONSTRAINT faces_picture FOREIGN KEY (picture_id) REFERENCES pictures (id) ON DELETE CASCADE,
  CONSTRAINT faces_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE tags (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci NOT NULL UNIQUE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE picture_tags (
  picture_id INT UNSIGNED NOT NULL,
  tag_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (picture_id, tag_id),
  CONSTRAINT pt_picture FOREIGN KEY (picture_id) REFERENCES pictures (id) ON DELETE CASCADE,
  CONSTRAINT pt_tag FOREIGN KEY (tag_id) REFERENCES tags (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE albums (
  id INT UNSIGNED NOT NULL PRIMARY KEY,
  title VARCHAR(200) CHARACTER SET utf8mb4 NOT NULL,
  created DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE album_pictures (
  album_id INT UNSIGNED NOT NULL,
  picture_id INT UNSIGNED NOT NULL,
  position INT UNSIGNED NOT NULL,
  PRIMARY KEY (album_id, picture_id),
  CONSTRAINT ap_album FOREIGN KEY (album_id) REFERENCES albums (id) ON DELETE CASCADE,
  CONSTRAINT ap_picture FOREIGN KEY (picture_id) REFERENCES pictures (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE VIEW person_face_counts AS
  SELECT p.id, p.name, COUNT(f.id) AS faces FROM people p LEFT JOIN faces f ON f.person_id = p.id GROUP BY p.id, p.name;
"""

GIVEN = ["Wei", "Fang", "Li", "Jun", "Mei", "Hao", "Yan", "Lei", "Ming", "Xin", "Anna", "Ben", "Chloé", "Dai",
         "Emi", "陈", "王", "李", "张", "刘", "小明", "美玲"]
CAMERAS = ["iPhone 13", "iPhone 15 Pro", "Pixel 8", "Galaxy S23", "EOS R6", "X-T4", "DSC-RX100", None]
PLACES = ["Taipei", "上海", "Hangzhou", "京都", "Seoul", "Lisbon", "Hallstatt", "成都", "Kaohsiung"]
TAGS = ["beach", "family", "birthday", "cat", "dog", "food", "mountain", "snow", "sunset", "city", "night",
        "旅行", "海边", "生日", "美食", "花", "夜景", "孩子", "婚礼", "🎉", "🌸", "🐱"]


def q(s):
    if s is None:
        return "NULL"
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def hexs(b):
    return "X'" + b.hex() + "'"


def when(rng):
    return "'%04d-%02d-%02d %02d:%02d:%02d.%06d'" % (rng.randint(2012, 2026), rng.randint(1, 12), rng.randint(1, 28),
                                                     rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
                                                     rng.randint(0, 999999))


def crop_path(face_id):
    """The facedata workload's path for face n (bench/gen_tree.py path_of)."""
    return "facedata/%03x/face_%07d.jpg" % (face_id % 512, face_id)


def emit(out, table, cols, rows):
    out.write("INSERT INTO %s (%s) VALUES\n%s;\n" % (table, ",".join(cols), ",\n".join(rows)))


def generate(out, scale, seed):
    rng = random.Random(seed)
    n_people = max(10, int(2000 * scale))
    n_pictures = max(50, int(40000 * scale))
    n_faces = max(100, int(120000 * scale))
    n_albums = max(5, int(400 * scale))
    out.write(SCHEMA)
    out.write("SET FOREIGN_KEY_CHECKS=0;\n")
    rows = []
    for i in range(1, n_people + 1):
        name = rng.choice(GIVEN) + " " + rng.choice(GIVEN) + ("" if rng.random() < 0.9 else " 🙂")
        rows.append("(%d,%s,%d,%d,%s)" % (i, q(name), rng.randint(0, n_faces - 1), rng.random() < 0.05, when(rng)))
    emit(out, "people", ["id", "name", "cover_face_id", "hidden", "created"], rows)
    tags = [(i + 1, t) for i, t in enumerate(TAGS)] + [(len(TAGS) + i + 1, "tag-%d" % i) for i in range(200)]
    emit(out, "tags", ["id", "name"], ["(%d,%s)" % (i, q(t)) for i, t in tags])
    batch = []
    for i in range(1, n_pictures + 1):
        year = rng.randint(2012, 2026)
        path = "/share/Photo/%d/%02d/%s_%06d.%s" % (year, rng.randint(1, 12), rng.choice(["IMG", "DSC", "PXL", "照片"]),
                                                   i, rng.choice(["jpg", "jpg", "jpg", "heic", "mp4"]))
        mime = {"jpg": "image/jpeg", "heic": "image/heic", "mp4": "video/mp4"}[path.rsplit(".", 1)[1]]
        exif = {"Make": "Apple", "Model": rng.choice(CAMERAS), "ExposureTime": "1/%d" % rng.choice([60, 125, 250]),
                "FNumber": rng.choice([1.8, 2.2, 2.8, 4.0]), "ISO": rng.choice([50, 100, 200, 800, 3200]),
                "FocalLength": rng.randint(13, 200), "Software": "QuMagie index 3.%d" % rng.randint(0, 9),
                "Place": rng.choice(PLACES), "Orientation": rng.randint(1, 8),
                "Faces": rng.randint(0, 6), "Notes": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in
                                                             range(rng.randint(100, 500)))}
        lat = None if rng.random() < 0.3 else "%.6f" % rng.uniform(-60, 70)
        lon = None if lat is None else "%.6f" % rng.uniform(-180, 180)
        desc = None if rng.random() < 0.6 else "%s, %s" % (rng.choice(PLACES), rng.choice(TAGS))
        batch.append("(%d,%s,%d,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s)" % (
            i, q(path), rng.randint(200_000, 40_000_000), rng.choice([4032, 3024, 1920, 6000]),
            rng.choice([3024, 4032, 1080, 4000]), when(rng) if rng.random() < 0.97 else "NULL", q(mime),
            q(rng.choice(CAMERAS)), lat or "NULL", lon or "NULL", hexs(hashlib.md5(path.encode()).digest()),
            q(json.dumps(exif, ensure_ascii=False)), q(desc)))
        if len(batch) == 500:
            emit(out, "pictures", ["id", "path", "size", "width", "height", "taken", "mime", "camera", "latitude",
                                   "longitude", "checksum", "exif", "description"], batch)
            batch = []
    if batch:
        emit(out, "pictures", ["id", "path", "size", "width", "height", "taken", "mime", "camera", "latitude",
                               "longitude", "checksum", "exif", "description"], batch)
    batch = []
    for i in range(n_faces):
        person = "NULL" if rng.random() < 0.25 else str(rng.randint(1, n_people))
        emb = bytes(rng.getrandbits(8) for _ in range(512))
        batch.append("(%d,%d,%s,%s,%d,%d,%d,%d,%.4f,%s)" % (
            i, rng.randint(1, n_pictures), person, q(crop_path(i)), rng.randint(0, 3000), rng.randint(0, 3000),
            rng.randint(40, 400), rng.randint(40, 400), rng.uniform(0.5, 1.0), hexs(emb)))
        if len(batch) == 500:
            emit(out, "faces", ["id", "picture_id", "person_id", "crop_path", "box_x", "box_y", "box_w", "box_h",
                                "confidence", "embedding"], batch)
            batch = []
    if batch:
        emit(out, "faces", ["id", "picture_id", "person_id", "crop_path", "box_x", "box_y", "box_w", "box_h",
                            "confidence", "embedding"], batch)
    batch = []
    for p in range(1, n_pictures + 1):
        for t in rng.sample(range(1, len(tags) + 1), rng.randint(0, 6)):
            batch.append("(%d,%d)" % (p, t))
        if len(batch) >= 2000:
            emit(out, "picture_tags", ["picture_id", "tag_id"], batch)
            batch = []
    if batch:
        emit(out, "picture_tags", ["picture_id", "tag_id"], batch)
    emit(out, "albums", ["id", "title", "created"],
         ["(%d,%s,%s)" % (a, q("%s %d" % (rng.choice(PLACES), rng.randint(2012, 2026))), when(rng))
          for a in range(1, n_albums + 1)])
    batch = []
    for a in range(1, n_albums + 1):
        for pos, p in enumerate(rng.sample(range(1, n_pictures + 1), min(n_pictures, rng.randint(5, 60)))):
            batch.append("(%d,%d,%d)" % (a, p, pos))
    emit(out, "album_pictures", ["album_id", "picture_id", "position"], batch)
    out.write("SET FOREIGN_KEY_CHECKS=1;\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            generate(f, a.scale, a.seed)
    else:
        generate(sys.stdout, a.scale, a.seed)


if __name__ == "__main__":
    main()

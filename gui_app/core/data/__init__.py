"""Datasets: where they are found, downloads, IDX files, image folders and pictures. Knows no network."""

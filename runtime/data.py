"""Real data shipped by PyPI packages, read without network access.

The OSTIA sea-surface temperature field comes with ``iris-sample-data``
(``sample_data/ostia_monthly.nc``): monthly means on a 0.83° x 0.56° grid over the equatorial
band 5°S-5°N, 54 months from 2006. It is an HDF5-based netCDF file, read here with h5py; land
cells hold the fill value 1e20.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

FILL_THRESHOLD = 1e19
"""Cells at or above this value are land (the file's _FillValue is 1e20)."""

HOURS_PER_MONTH = 24 * 365.2425 / 12


@dataclass
class SSTField:
    """Ocean points of the OSTIA field.

    Attributes
    ----------
    coordinates : ndarray (n, 3)
        Longitude (degrees east, 0-360), latitude (degrees north) and time (months since the
        first field) of every ocean cell and month.
    temperature : ndarray (n,)
        Sea-surface temperature in kelvin.
    longitude, latitude, months : ndarray
        The grid axes.
    ocean : ndarray of bool (n_months, n_latitude, n_longitude)
        True where the cell is ocean.
    """

    coordinates: np.ndarray
    temperature: np.ndarray
    longitude: np.ndarray
    latitude: np.ndarray
    months: np.ndarray
    ocean: np.ndarray


def sst_path() -> str:
    """Path of ``ostia_monthly.nc`` inside the installed iris-sample-data package."""
    try:
        import iris_sample_data
    except ImportError:
        raise ImportError(
            "the SST data comes with the 'iris-sample-data' package: pip install 'fkt[demo]'"
        ) from None
    path = os.path.join(os.path.dirname(iris_sample_data.__file__), "sample_data", "ostia_monthly.nc")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ostia_monthly.nc not found in the iris-sample-data package at {path}")
    return path


def load_sst() -> SSTField:
    """Read the OSTIA monthly SST field and return its ocean points."""
    import h5py

    with h5py.File(sst_path(), "r") as handle:
        temperature = np.asarray(handle["surface_temperature"][...], dtype=np.float64)
        latitude = np.asarray(handle["latitude"][...], dtype=np.float64)
        longitude = np.asarray(handle["longitude"][...], dtype=np.float64)
        hours = np.asarray(handle["time"][...], dtype=np.float64)
    months = (hours - hours[0]) / HOURS_PER_MONTH
    ocean = temperature < FILL_THRESHOLD
    time_index, latitude_index, longitude_index = np.nonzero(ocean)
    coordinates = np.column_stack(
        [longitude[longitude_index], latitude[latitude_index], months[time_index]]
    )
    return SSTField(
        coordinates=np.ascontiguousarray(coordinates),
        temperature=temperature[ocean],
        longitude=longitude,
        latitude=latitude,
        months=months,
        ocean=ocean,
    )

# Regenerates the NumPy-written fixtures read by TestReadNumPyFixtures
# (written with NumPy 1.24.2):  python3 make.py
import numpy as np

a = np.arange(24).reshape(2, 3, 4) % 3 - 1   # shape (n=2, Ly=3, Lx=4)
np.save("c_int64.npy", a.astype(np.int64))
np.save("f_int8.npy", np.asfortranarray(a.astype(np.int8)))
np.save("be_int16.npy", a.astype(">i2"))
np.save("bool.npy", a > 0)
np.save("f4.npy", a.astype(np.float32))
np.save("flat_f8.npy", a.reshape(2, 12).astype(np.float64))
np.save("c_int8.npy", a.astype(np.int8))  # byte-identical to Dataset.WriteNPY output

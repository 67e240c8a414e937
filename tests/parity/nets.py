"""PyTorch modules the parity tests share, written independently of warmstart with its
parameter names: Kumar et al. 2024's small CNN (nets/cnn.py: conv1, conv2, fc1, fc2,
output_layer, layer_normI) and the MLP (lm1 .. lmK, lnI), each with ReLU or concatenated ReLU
(CReLU) and optional LayerNorm before each activation. With `model.captured = []` set, a
forward appends each hidden activation's output to it (the remedies that read units: ReDo)."""


def kumar_modules(torch):
    """(CNN, MLP) classes built on the given torch."""
    nn = torch.nn
    F = torch.nn.functional

    def keep(module, h):
        if getattr(module, "captured", None) is not None:
            module.captured.append(h.detach().clone())
        return h

    def act_fn(crelu, dim):
        if crelu:
            return lambda x: F.relu(torch.cat((x, -x), dim))
        return F.relu

    class CNN(nn.Module):
        """conv1 (5x5) [layer_norm1] act pool, conv2 [layer_norm2] act pool, flatten,
        fc1 [layer_norm3] act, fc2 [layer_norm4] act, output_layer."""

        def __init__(self, shape, channels, hidden, classes, crelu=False, ln=False):
            super().__init__()
            c, h, w = shape
            k = 2 if crelu else 1
            h1, w1 = h - 4, w - 4
            h2, w2 = h1 // 2 - 4, w1 // 2 - 4
            self.conv1 = nn.Conv2d(c, channels, 5)
            self.conv2 = nn.Conv2d(k * channels, channels, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(k * channels * (h2 // 2) * (w2 // 2), hidden[0])
            self.fc2 = nn.Linear(k * hidden[0], hidden[1])
            self.output_layer = nn.Linear(k * hidden[1], classes)
            self.ln = ln
            if ln:
                self.layer_norm1 = nn.LayerNorm((channels, h1, w1))
                self.layer_norm2 = nn.LayerNorm((channels, h2, w2))
                self.layer_norm3 = nn.LayerNorm(hidden[0])
                self.layer_norm4 = nn.LayerNorm(hidden[1])
            self.conv_act, self.fc_act = act_fn(crelu, 1), act_fn(crelu, -1)

        def forward(self, x):
            norm = (lambda i, z: getattr(self, f"layer_norm{i}")(z)) if self.ln else (lambda i, z: z)
            x = self.pool(keep(self, self.conv_act(norm(1, self.conv1(x)))))
            x = self.pool(keep(self, self.conv_act(norm(2, self.conv2(x)))))
            x = torch.flatten(x, 1)
            x = keep(self, self.fc_act(norm(3, self.fc1(x))))
            x = keep(self, self.fc_act(norm(4, self.fc2(x))))
            return self.output_layer(x)

    class MLP(nn.Module):
        """lm1 .. lmK with [lnI] and the activation after each hidden one (warmstart's names)."""

        def __init__(self, inputs, hidden, classes, crelu=False, ln=False):
            super().__init__()
            k = 2 if crelu else 1
            sizes = [inputs, *hidden]
            self.n = len(hidden)
            for i in range(self.n):
                setattr(self, f"lm{i + 1}", nn.Linear(sizes[i] * (k if i else 1), hidden[i]))
                if ln:
                    setattr(self, f"ln{i + 1}", nn.LayerNorm(hidden[i]))
            setattr(self, f"lm{self.n + 1}", nn.Linear(k * hidden[-1], classes))
            self.ln, self.act = ln, act_fn(crelu, -1)

        def forward(self, x):
            x = torch.flatten(x, 1)
            for i in range(1, self.n + 1):
                x = getattr(self, f"lm{i}")(x)
                if self.ln:
                    x = getattr(self, f"ln{i}")(x)
                x = keep(self, self.act(x))
            return getattr(self, f"lm{self.n + 1}")(x)

    return CNN, MLP

# Example 2. 문자 기반 신경 언어 모델 (many-to-one RNN) - sixpence in keras: the slide's training
# script ("Model 생성"), run from the repository root (python lecture/sixpence_train.py).
# Lines that differ from the slide say so at their end.
import os  # added for the lab: to create the output folder
from json import (
    dump,  # slide: from pickle import dump; this project keeps no pickles: the mapping is saved as JSON
)

import keras  # added for the lab: keras.Input and keras.utils.set_random_seed (Keras 3)
import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential
from keras.utils import to_categorical

keras.utils.set_random_seed(0)  # added for the lab: the slide sets no seed; seeded (Python, NumPy, TensorFlow), every run prints the same numbers

# dataset 생성
with open('data/sixpence.txt','r') as f:  # slide: 'data/rnn_sixpence_data.txt'; the lab's copy of the rhyme
    raw_text=f.read()
text = raw_text.split() #strip all of the new line characters , separated only by white space
text = ' '.join(text) #Sing a song of sixpence, a pocket full of rye, Four and twenty blackbirds ...   slide: ''.join(text), which glues the words (no ' ', 33 characters); its comment and vocabulary of 34 need ' '.join
alphabet = sorted(list(set(text)))
vocab_size = len(alphabet) #34 [' ', '!', '","', '!', '!', '?', 'F', 'O', 'S', 'T', 'W', 'a', 'b', 'c', 'd', 'e', ...}   (as on the slide: its '","' is the apostrophe, printed "'")
mapping_c2i = {c:i for i, c in enumerate(alphabet)} #mapping from char to code(index)
text_encoded = [mapping_c2i[c] for c in text]
# [8, 19, 23, 17, 0, 11, 0, 28, 24, 23, 17, 0, 24, 16, 0, 28, 19, 32, 25,
length = 10
sequence=np.array([text_encoded[i-length:i+1] for i in range(length, len(text_encoded))]) #(399,11)   (the slide's; 396 here, see docs/lecture.md)
X,y=sequence[:, :-1],sequence[:, -1] #(399,10), (399,)
X_oh=to_categorical(X, num_classes=vocab_size) #(399,10,34)
y_oh=to_categorical(y, num_classes=vocab_size) #(399,34)
print('text', len(text), 'vocab_size', vocab_size, 'sequence', sequence.shape, 'X_oh', X_oh.shape, 'y_oh', y_oh.shape)  # added for the lab: the sizes the slide gives in comments

# 모델 생성
model = Sequential(name="many-to-one_RNN")  # slide: name="many-to-one RNN"; Keras 3 on TensorFlow makes the name a TensorFlow name scope, where a space is an error (at fit)
model.add(keras.Input((X_oh.shape[1], X_oh.shape[2])))  # slide: LSTM(75, input_shape=(X_oh.shape[1], X_oh.shape[2])); Keras 3 takes the input shape from an Input first (input_shape= on a layer is deprecated: it warns)
model.add(LSTM(75))  #(10,34)(None, 75) 33000 (75x440)   slide: LSTM(75, input_shape=...): the shape is the Input's above
model.add(Dense(vocab_size, activation='softmax')) #(34,)(None, 34) 2584 (75x34(w)+34(b))
print(model.summary())
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.fit(X_oh, y_oh, epochs=100, verbose=2) # fit model
os.makedirs('lecture/out', exist_ok=True)  # added for the lab: outputs go to lecture/out/, which git ignores
model.save('lecture/out/model_many2one_sixpence.keras') # save the model to file   slide: 'model_many2one_sixpence.h5'; Keras 3's own format is .keras (.h5 is legacy), in the lab's output folder
dump(mapping_c2i, open('lecture/out/mapping.json', 'w')) # save the mapping   slide: dump(mapping_c2i, open('mapping.pkl', 'wb')) with pickle's dump; JSON here

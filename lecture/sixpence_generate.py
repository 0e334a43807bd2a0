# Example 2. 문자 기반 신경 언어 모델 (many-to-one RNN) - sixpence in keras: the slide's generation
# script ("모델 평가"), run from the repository root after lecture/sixpence_train.py
# (python lecture/sixpence_generate.py). Lines that differ from the slide say so at their end.
from json import (
    load,  # slide: from pickle import load; the mapping is JSON here (this project keeps no pickles)
)

import numpy as np  # added for the lab: argmax, in place of predict_classes
from keras.models import load_model
from keras.preprocessing.sequence import pad_sequences
from keras.utils import to_categorical


# generate a sequence of nb characters with a language model
def generate_seq(model, seq_length, seed_text='Sing a son', nb_chars=20):
    in_text = seed_text
    # generate a fixed number(nb_chars) of characters
    for _ in range(nb_chars):
        # encode the characters as integers
        encoded = [mapping_c2i[char] for char in in_text] #'Sing a son' (n,)=[8,19,...]
        # truncate sequences to a fixed length(seq_length)
        encoded = pad_sequences([encoded], maxlen=seq_length, truncating='pre') #(1,10)
        # one hot encode
        encoded_ohe = to_categorical(encoded, num_classes=len(mapping_c2i)) #(1,10,34)
        # predict character
        yhat = np.argmax(model.predict(encoded_ohe, verbose=0), axis=-1)      #[17] (1,)   slide: model.predict_classes(encoded_ohe, verbose=0); Keras 3 has no predict_classes: the class is the argmax of predict's probabilities
        char=mapping_i2c[yhat[0]] #'g'
        in_text += char
    return in_text

# load the model and mapping
model = load_model('lecture/out/model_many2one_sixpence.keras')  # slide: 'model_rnn_sixpence.h5', a name its training script never writes (a typo for 'model_many2one_sixpence.h5'); Keras 3's .keras file, in the lab's output folder
mapping_c2i = load(open('lecture/out/mapping.json', 'r'))      #{' ':0,...}   slide: load(open('mapping.pkl', 'rb')) with pickle's load; JSON here
mapping_i2c={v:k for k,v in mapping_c2i.items()} #{'0':' ',...}

# test start of rhyme
print(generate_seq(model,10, 'Sing a son', 20))    #Sing a song of sixpence, a poc
# test mid-line
print(generate_seq(model, 10, 'king was i', 20))  #king was in his counting house
# test not in original
print(generate_seq(model,10, 'hello worl', 20))   #hello worl,, The aeen was in t

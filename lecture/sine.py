# Example 1. 정현파신호 샘플 예측 모델(SRNN) in keras: the slide's code, run from the repository
# root (python lecture/sine.py). Lines that differ from the slide say so at their end.
import os  # added for the lab: to create the output folder

import keras  # added for the lab: keras.Input and keras.utils.set_random_seed (Keras 3)
import matplotlib.pyplot as plt
import numpy as np
from keras.layers import Dense, SimpleRNN
from keras.models import Sequential

#샘플 리스트 생성
n=np.arange(0,2*10)          #2초간 20 vector,[0,1,2,3,4,...,19] fs=10
fs=10; Ts=1/fs
s=np.sin(2*np.pi*1*n*Ts)    # (20,) samples

#학습용 X,Y 셋 생성
seq_len=3;
X=[];Y=[]
for i in range(seq_len,20,1) :
    X.append(s[i-seq_len:i]) #s[0:3]
    Y.append(s[i])          #s[3]

#학습용 shape으로 변환
X=np.array(X);Y=np.array(Y) # shape X:(17,3) Y:(17,3)   (the slide's comment: Y is (17,) here)
X=np.expand_dims(X,axis=2) # (17,3,1)
Y=np.expand_dims(Y,axis=1) # (17,1)

print(X.shape,Y.shape) # (17,3,1),(17,)   (the slide's comment: Y is (17,1) after expand_dims)

#SRNN 모델 설정
keras.utils.set_random_seed(0)  # slide: np.random.seed(0); Keras 3 seeds its initialisers from Python's random module, which only set_random_seed (Python, NumPy, TensorFlow) sets
model = Sequential()
model.add(keras.Input((3, 1)))  # slide: SimpleRNN(10, input_shape=(3, 1)); Keras 3 takes the input shape from an Input first (input_shape= on a layer is deprecated: it warns)
model.add(SimpleRNN(10))  # slide: SimpleRNN(10, input_shape=(3, 1)); the shape is the Input's above
model.add(Dense(1, activation="linear"))
model.compile(loss='mse', optimizer='sgd')

Y_hat1=model.predict(X)       #randomly initialized Y

hist=model.fit(X,Y,epochs=100,verbose=0) #training

Y_hat2=model.predict(X)       #predicted after training
print('mse before', float(np.mean((Y_hat1-Y)**2)), 'after', float(np.mean((Y_hat2-Y)**2)), 'last loss', hist.history['loss'][-1])  # added for the lab: the numbers behind the plots

plt.subplot(211)                #define subplot(211)
plt.plot(Y, 'ro-',label='targets') #target Y, s[nb_timestep:]
plt.plot(Y_hat1,'bs-',label='Y_hat1')#initialized Y
plt.plot(Y_hat2,'gx-',label='Y_hat2')#predicted Y
plt.grid()                      #grid on figure subplot
plt.legend()

plt.subplot(212)                #define subplot(212)
plt.plot(hist.history['loss'])   #plot loss
plt.title('loss')
plt.grid()
os.makedirs('lecture/out', exist_ok=True)  # added for the lab: outputs go to lecture/out/, which git ignores
plt.savefig('lecture/out/sine.png')  # slide: plt.show(); no window without a display: the figure is saved to a file
